// The playground's Python: Pyodide in a module Web Worker, so the page never freezes while
// SymPy works. Everything loads from the site itself (sitebuild/playground.py copies it):
// the runtime from ../pyodide/, then the wheels of SymPy, mpmath and nnspec by URL.
// The page enforces the time limit by terminating this worker and starting a new one.
import { loadPyodide } from "../pyodide/pyodide.mjs";

const base = new URL("../pyodide/", import.meta.url).href;

function progress(stage, label) {
  postMessage({ type: "progress", stage, label });
}

async function boot() {
  progress(1, "Loading the Python runtime (Pyodide)…");
  const pyodide = await loadPyodide({
    indexURL: base,
    lockFileURL: base + "pyodide-lock.json",
    packageBaseUrl: base,
    stdout: () => {},
    stderr: () => {},
  });
  const manifest = await (await fetch(base + "playground.json")).json();
  const own = manifest.wheels.filter((name) => name.startsWith("nnspec-"));
  const others = manifest.wheels.filter((name) => !name.startsWith("nnspec-"));
  const quiet = { messageCallback: () => {}, errorCallback: (message) => console.warn(message) };
  progress(2, "Loading SymPy…");
  await pyodide.loadPackage(
    others.map((name) => base + name),
    quiet,
  );
  await pyodide.runPythonAsync("import sympy");
  progress(3, "Loading nnspec…");
  await pyodide.loadPackage(
    own.map((name) => base + name),
    quiet,
  );
  // The Python side is nnspec.expressions.playground (linted and tested without a browser):
  // user text only ever reaches nnspec's parser, which builds SymPy objects from an ast
  // whitelist and never evaluates it.
  const glue = pyodide.pyimport("nnspec.expressions.playground");
  const versions = glue.describe_runtime().concat(` (Pyodide ${pyodide.version})`);
  postMessage({ type: "ready", versions, timeLimit: glue.TIME_LIMIT });
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
