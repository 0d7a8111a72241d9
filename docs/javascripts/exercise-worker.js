// The exercises' Python: the playground's runtime (Pyodide in a module Web Worker), booted by
// the same module (nnspec-runtime.js) from the site's own files. No request leaves the site.
// The page enforces the time limit by terminating this worker and starting another.
//
// Messages in:  {type: "check", id, spec, text}  (spec: the exercise as a JSON string)
// Messages out: {type: "progress", stage, label}, {type: "ready", versions, timeLimit},
//               {type: "result", id, result: {correct, message}}, {type: "failed", message}
import { describeRuntime, loadNnspec } from "./nnspec-runtime.js";

function progress(stage, label) {
  postMessage({ type: "progress", stage, label });
}

async function boot() {
  const pyodide = await loadNnspec(progress);
  // User text only ever reaches nnspec's parser (an ast whitelist); nothing evaluates it.
  await pyodide.runPythonAsync("from nnspec.exercises import TIME_LIMIT, check_answer_json");
  const timeLimit = pyodide.globals.get("TIME_LIMIT");
  postMessage({ type: "ready", versions: describeRuntime(pyodide), timeLimit });
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
