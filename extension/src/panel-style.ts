/** The button's and panel's styles, inside their shadow root (GitHub's own styles cannot reach them). */
export const PANEL_CSS = `
:host { all: initial; position: fixed; top: 72px; right: 24px; z-index: 2147483000;
  font: 14px/1.4 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; }
button { font: inherit; border-radius: 6px; border: 1px solid #d0d7de; background: #f6f8fa;
  color: #1f2328; padding: 5px 14px; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
button:focus-visible, input:focus-visible { outline: 2px solid #0969da; outline-offset: 2px; }
.run-locally, .primary { background: #1f883d; border-color: #1a7f37; color: #fff; font-weight: 600; }
.run-locally { display: block; margin-left: auto; box-shadow: 0 1px 3px rgba(0,0,0,.2); }
.panel { margin-top: 8px; width: 340px; max-width: calc(100vw - 48px); background: #fff;
  border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 16px; box-shadow: 0 8px 24px rgba(140,149,159,.3); }
.panel[hidden] { display: none; }
h2 { font-size: 15px; margin: 0 0 4px; }
.sources { margin: 0 0 8px; color: #57606a; }
fieldset { border: 1px solid #d0d7de; border-radius: 6px; margin: 0 0 8px; padding: 6px 10px; }
fieldset label { display: block; }
.status { font-weight: 600; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.status[data-status="READY"] { color: #1a7f37; }
.status[data-status="FAILED"] { color: #cf222e; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
.message { margin: 8px 0 0; min-height: 1em; word-break: break-all; }
.message.error { color: #cf222e; }
`;
