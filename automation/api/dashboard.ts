/**
 * The dashboard's static assets (`dashboard/`, built by `npm run build` into `dashboard/dist`) at `/`.
 * Served before authentication: the page holds no data; everything it shows it fetches with the
 * session cookie. Its Content-Security-Policy (`app.ts`) lets it load nothing from elsewhere.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import express, { Router } from "express";
import { AppError } from "./errors";

/** Where `npm run build` puts the dashboard. */
export const DASHBOARD_DIST = path.resolve(__dirname, "..", "..", "dashboard", "dist");

/** What `dashboard/build.ts` writes: index.html, favicon.svg, assets/<name>-<hash>.<ext>. */
const DASHBOARD_PATH = /^\/(?:|index\.html|favicon\.svg|assets\/[^/]+)$/;

/** Serves `dir` (index.html at `/`); without a build, `/` says how to make one. */
export function dashboardRoutes(dir: string = DASHBOARD_DIST): Router {
  const router = Router();
  router.get("/", (_req, _res, next) => {
    if (fs.existsSync(path.join(dir, "index.html"))) {
      next();
      return;
    }
    next(new AppError("dashboard_not_built", "the dashboard is not built: run `npm run build`", 503));
  });
  // Hashed file names under assets/ never change their content; index.html is read on every visit.
  const files = express.static(dir, {
    index: "index.html",
    fallthrough: true,
    redirect: false,
    setHeaders: (res, file) => {
      res.setHeader(
        "Cache-Control",
        file.includes(`${path.sep}assets${path.sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  // Only the build's own paths reach the file system: every API request passes this router, and a
  // stat of dashboard/dist/runs/<id> for each one cost the read path a thread-pool round trip.
  router.use((req, res, next) => (DASHBOARD_PATH.test(req.path) ? files(req, res, next) : next()));
  return router;
}
