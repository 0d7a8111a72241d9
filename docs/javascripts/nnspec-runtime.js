// nnspec's Python runtime for the site's Web Workers (the playground's and the exercises'):
// Pyodide booted from the site's own files — the runtime from ../pyodide/, then the wheels of
// SymPy, mpmath and nnspec that ../pyodide/playground.json lists, loaded by URL (sitebuild's
// playground step copies them in). No request leaves the site.
import { loadPyodide } from "../pyodide/pyodide.mjs";

const base = new URL("../pyodide/", import.meta.url).href;

// Boot Pyodide with SymPy and nnspec loaded; progress(stage, label) is told of stages 1 to 3.
export async function loadNnspec(progress) {
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
  return pyodide;
}

// The line a page shows once the runtime is ready: nnspec's, SymPy's, mpmath's, Python's and
// Pyodide's versions (nnspec.expressions.playground.describe_runtime, plus Pyodide's own).
export function describeRuntime(pyodide) {
  const glue = pyodide.pyimport("nnspec.expressions.playground");
  return glue.describe_runtime().concat(` (Pyodide ${pyodide.version})`);
}
