// The playground's Python: Pyodide in a module Web Worker, so the page never freezes while
// SymPy works. Everything loads from the site itself (nnspec-runtime.js boots it).
// The page enforces the time limit by terminating this worker and starting a new one.
import { describeRuntime, loadNnspec } from "./nnspec-runtime.js";

function progress(stage, label) {
  postMessage({ type: "progress", stage, label });
}

async function boot() {
  const pyodide = await loadNnspec(progress);
  // The Python side is nnspec.expressions.playground (linted and tested without a browser):
  // user text only ever reaches nnspec's parser, which builds SymPy objects from an ast
  // whitelist and never evaluates it.
  const glue = pyodide.pyimport("nnspec.expressions.playground");
  postMessage({ type: "ready", versions: describeRuntime(pyodide), timeLimit: glue.TIME_LIMIT });
  return glue.differentiate;
}

const ready = boot().catch((error) => {
  postMessage({ type: "failed", message: String(error && error.message ? error.message : error) });
  throw error;
});

onmessage = async (event) => {
  const { id, expr, wrt, at, simplify, steps } = event.data;
  const playground = await ready;
  try {
    postMessage({ type: "result", id, result: JSON.parse(playground(expr, wrt, at, simplify, steps)) });
  } catch (error) {
    // Not a refusal of nnspec's (those come back as {error}): report the exception's last line.
    const last = String(error.message).trim().split("\n").pop();
    postMessage({ type: "result", id, result: { error: `internal error: ${last}` } });
  }
};
