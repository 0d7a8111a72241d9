// The playground's Python: Pyodide in a module Web Worker, so the page never freezes while
// SymPy works. Everything loads from the site itself (docs/hooks/playground.py copies it):
// the runtime from ../pyodide/, then the wheels of SymPy, mpmath and nnspec by URL.
// The page enforces the time limit by terminating this worker and starting a new one.
import { loadPyodide } from "../pyodide/pyodide.mjs";

const base = new URL("../pyodide/", import.meta.url).href;

// Runs inside Pyodide once nnspec is installed. User text only ever reaches nnspec's parser,
// which builds SymPy objects from an ast whitelist and never evaluates it.
const GLUE = `
import json

from latex2mathml.converter import convert
from sympy.printing.mathml import mathml

from nnspec import expressions
from nnspec.errors import ArgumentError


def _one_line(text):
    return " ".join(str(text).split())


def _math(left, expr):
    body = mathml(expr, printer="presentation").replace("<mo>-</mo>", "<mo>&minus;</mo>")
    return f'<math display="block">{left}<mo>=</mo>{body}</math>'


def _partial_left(d, name):
    return f"<mfrac><mo>{d}</mo><mrow><mo>{d}</mo><mi>{name}</mi></mrow></mfrac>"


def _number(value):
    return None if value is None else float(value)


def playground(text, wrt, at, simplify, steps):
    try:
        names = [name.strip() for name in wrt.split(",")]
        point = at.strip() or None
        found = expressions.derivation(text, names, at=point, simplify=simplify, timeout=None)
        expression = found.expression
        d = "&PartialD;" if len(expression.free_symbols) > 1 else "d"
        partials = []
        for name, partial in found.partials.items():
            value = None if found.partial_values is None else found.partial_values[name]
            partials.append(
                {
                    "name": name,
                    "text": str(partial),
                    "mathml": _math(_partial_left(d, name), partial),
                    "simplify": found.simplify_level[name],
                    "value": _number(value),
                }
            )
        result = {
            "expression": {"text": str(expression), "mathml": _math("<mi>f</mi>", expression)},
            "partials": partials,
            "point": None if found.point is None else {name: str(v) for name, v in found.point.items()},
            "value": _number(found.value),
        }
        if steps:
            result["steps"] = []
            for name in names:
                chain = expressions.chain_rule(text, name, at=point, simplify=simplify)
                result["steps"].append(
                    {"name": name, "text": str(chain), "mathml": convert(chain.latex(), display="block")}
                )
        return json.dumps(result)
    except ArgumentError as error:
        return json.dumps({"error": _one_line(error)})
`;

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
  await pyodide.runPythonAsync(GLUE);
  const versions = pyodide
    .runPython(
      `import sys, mpmath, nnspec
f"nnspec {nnspec.__version__}, SymPy {sympy.__version__}, mpmath {mpmath.__version__}, Python {sys.version.split()[0]}"`,
    )
    .concat(` (Pyodide ${pyodide.version})`);
  postMessage({ type: "ready", versions });
  return pyodide.globals.get("playground");
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
