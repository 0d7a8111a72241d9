// The exercises' Python: the playground's runtime (Pyodide in a module Web Worker), booted the
// same way from the site's own files: ../pyodide/ for the runtime, then the wheels of SymPy,
// mpmath and nnspec listed in ../pyodide/playground.json, loaded by URL. No request leaves
// the site. The page enforces the time limit by terminating this worker and starting another.
//
// Messages in:  {type: "check", id, spec, text}  (spec: the exercise as a JSON string)
// Messages out: {type: "progress", stage, label}, {type: "ready", versions, timeLimit},
//               {type: "result", id, result: {correct, message}}, {type: "failed", message}
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
  // User text only ever reaches nnspec's parser (an ast whitelist); nothing evaluates it.
  await pyodide.runPythonAsync("from nnspec.exercises import TIME_LIMIT, check_answer_json");
  const versions = pyodide
    .runPython(
      `import sys, mpmath, nnspec
f"nnspec {nnspec.__version__}, SymPy {sympy.__version__}, mpmath {mpmath.__version__}, Python {sys.version.split()[0]}"`,
    )
    .concat(` (Pyodide ${pyodide.version})`);
  postMessage({ type: "ready", versions, timeLimit: pyodide.globals.get("TIME_LIMIT") });
  return pyodide.globals.get("check_answer_json");
}

const ready = boot().catch((error) => {
  postMessage({ type: "failed", message: String(error && error.message ? error.message : error) });
  throw error;
});

onmessage = async (event) => {
  const { type, id, spec, text } = event.data;
  if (type !== "check") return;
  const check = await ready;
  try {
    postMessage({ type: "result", id, result: JSON.parse(check(spec, text)) });
  } catch (error) {
    // Not a verdict of nnspec's (those come back as {correct, message}): report the last line.
    const last = String(error.message).trim().split("\n").pop();
    postMessage({ type: "result", id, result: { correct: false, message: `internal error: ${last}` } });
  }
};
