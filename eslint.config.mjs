import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // Fixtures are other people's repositories in miniature: their code is data here.
  {
    ignores: [
      "node_modules/",
      "dist/",
      "dashboard/dist/",
      "coverage/",
      ".builtin-cluster/",
      "builtin-cluster/go/",
      "test/fixtures/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        require: "readonly",
        process: "readonly",
        console: "readonly",
        module: "writable",
        __dirname: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Service code logs through pino; only CLIs print.
      "no-console": "error",
    },
  },
  {
    // The Pulumi program runs as CommonJS (ts-node): a local `exports` hides the module's own, and
    // every exported constant the function uses reads as undefined (only at run time, never in vitest).
    files: ["**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "VariableDeclarator[id.name=/^(exports|module|require)$/]",
          message: "this name is CommonJS's own: a Pulumi program that declares it breaks at run time",
        },
      ],
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["bin/**", "automation/cli/**", "testenv/**/*.mjs", "bench/**", "test/integration/**"],
    rules: { "no-console": "off", "@typescript-eslint/no-require-imports": "off" },
  },
);
