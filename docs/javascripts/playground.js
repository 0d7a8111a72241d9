// The playground page: reads the form, asks the Python worker for derivatives, shows them.
// The worker starts as soon as the page opens; a derivation that passes the time limit
// terminates it, and a fresh one starts (a browser cannot interrupt running Python otherwise).
const form = document.getElementById("nnspec-playground");
const field = (name) => form.elements.namedItem(name);
const status = document.getElementById("nnspec-status");
const bar = document.getElementById("nnspec-progress");
const output = document.getElementById("nnspec-result");
const button = field("differentiate");
const workerURL = new URL("playground-worker.js", import.meta.url);
const MATHML = "http://www.w3.org/1998/Math/MathML";
const STAGES = 4; // runtime, SymPy, nnspec, ready

let worker = null;
let ready = false;
// The worker reports nnspec.expressions.playground.TIME_LIMIT (the CLI's default too) when ready.
let defaultLimit = 5;
let pending = null; // {id, request, timer}
let queued = null;
let counter = 0;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

// SymPy and latex2mathml print the MathML; names in it passed nnspec's parser. Keep only
// MathML elements with presentation attributes, and nothing that could run.
const ATTRIBUTES = new Set([
  "display", "xmlns", "columnalign", "rowalign", "columnspacing", "rowspacing", "stretchy",
  "fence", "form", "separator", "accent", "accentunder", "movablelimits", "largeop", "symmetric",
  "mathvariant", "lspace", "rspace", "width", "minsize", "maxsize", "linethickness",
  "scriptlevel", "displaystyle",
]);
function mathFrom(markup) {
  const template = document.createElement("template");
  template.innerHTML = markup;
  const math = template.content.firstElementChild;
  const clean =
    math &&
    math.namespaceURI === MATHML &&
    [math, ...math.querySelectorAll("*")].every(
      (node) =>
        node.namespaceURI === MATHML &&
        [...node.attributes].every((attribute) => ATTRIBUTES.has(attribute.name)),
    );
  return clean ? math : element("code", {}, "(could not typeset)");
}

function setStatus(text, stage) {
  status.textContent = text;
  if (stage === undefined) {
    bar.hidden = true;
  } else {
    bar.hidden = false;
    bar.value = stage;
  }
}

function startWorker() {
  ready = false;
  worker = new Worker(workerURL, { type: "module" });
  worker.onmessage = (event) => {
    const message = event.data;
    if (message.type === "progress") {
      setStatus(`${message.label} (step ${message.stage} of ${STAGES - 1})`, message.stage - 1);
    } else if (message.type === "ready") {
      ready = true;
      defaultLimit = message.timeLimit;
      setStatus(`Ready: ${message.versions}, running in this page.`);
      if (queued) {
        const request = queued;
        queued = null;
        send(request);
      }
    } else if (message.type === "failed") {
      const lines = message.message.trim().split("\n");
      setStatus(`The Python runtime failed to load: ${lines[lines.length - 1]}`);
      if (pending) clearTimeout(pending.timer);
      if (pending || queued) showError("the Python runtime failed to load; reload the page to try again");
      pending = queued = null;
      button.disabled = false;
    } else if (message.type === "result" && pending && message.id === pending.id) {
      clearTimeout(pending.timer);
      const request = pending.request;
      pending = null;
      button.disabled = false;
      show(request, message.result);
    }
  };
  worker.onerror = (event) => {
    setStatus(`The Python runtime failed: ${event.message || "the worker could not start"}`);
  };
}

function timeLimit() {
  const seconds = Number(field("timeout").value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : defaultLimit;
}

function send(request) {
  const id = ++counter;
  const seconds = timeLimit();
  output.setAttribute("aria-busy", "true");
  output.replaceChildren(element("p", {}, "Differentiating…"));
  button.disabled = true;
  const timer = setTimeout(() => {
    // The derivation is still running: stop the worker outright and start a fresh one.
    pending = null;
    worker.terminate();
    setStatus("Stopped at the time limit; starting a fresh Python…", 0);
    button.disabled = false;
    showError(
      `stopped: the derivative of ${JSON.stringify(request.expr)} did not finish within the ` +
        `time limit of ${seconds} s (raise the time limit, or try a simpler expression)`,
    );
    startWorker();
  }, seconds * 1000);
  pending = { id, request, timer };
  worker.postMessage({ id, ...request });
}

function showError(message) {
  output.removeAttribute("aria-busy");
  output.replaceChildren(
    element("p", { class: "nnspec-error" }, element("strong", {}, "error: "), element("span", {}, message)),
  );
}

function copyable(text) {
  const code = element("code", { class: "nnspec-text" }, text);
  const copy = element("button", { type: "button", class: "md-button nnspec-copy" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
    } catch {
      window.getSelection().selectAllChildren(code);
      copy.textContent = "Selected: press Ctrl+C";
    }
  });
  return element("p", { class: "nnspec-copyable" }, code, " ", copy);
}

function formatNumber(value, text) {
  // the Python side's text: the shortest decimal that reads back as the same float64 (keeps -0.0)
  if (text) return text;
  return value === null ? "undefined (not finite here)" : String(value);
}

function show(request, result) {
  if (result.error) {
    showError(result.error);
    return;
  }
  const parts = [element("h2", {}, "Result")];
  parts.push(element("div", { class: "nnspec-expression" }, mathFrom(result.expression.mathml)));
  for (const partial of result.partials) {
    const item = element(
      "section",
      { class: "nnspec-partial", "data-name": partial.name },
      element("h3", {}, `With respect to ${partial.name}`),
      mathFrom(partial.mathml),
      copyable(partial.text),
      element("p", { class: "nnspec-simplify" }, `Simplification: ${partial.simplify}`),
    );
    if (result.point) {
      item.append(
        element("p", { class: "nnspec-partial-value" }, `Value at the point: ${formatNumber(partial.value, partial.value_text)}`),
      );
    }
    parts.push(item);
  }
  if (result.point) {
    const point = Object.entries(result.point)
      .map(([name, value]) => `${name} = ${value}`)
      .join(", ");
    parts.push(
      element("p", { class: "nnspec-value" }, `At ${point}: f = ${formatNumber(result.value, result.value_text)}`),
    );
  }
  for (const step of result.steps || []) {
    parts.push(
      element(
        "section",
        { class: "nnspec-steps", "data-steps": step.name },
        element("h3", {}, `Chain-rule steps for ${step.name}`),
        mathFrom(step.mathml),
        element("pre", {}, element("code", {}, step.text)),
      ),
    );
  }
  output.removeAttribute("aria-busy");
  output.replaceChildren(...parts);
}

function request() {
  return {
    expr: field("expr").value,
    wrt: field("wrt").value,
    at: field("at").value,
    simplify: field("simplify").value,
    steps: field("steps").checked,
  };
}

function remember(values) {
  const query = new URLSearchParams({ expr: values.expr, wrt: values.wrt });
  if (values.at.trim()) query.set("at", values.at);
  if (values.simplify !== "auto") query.set("simplify", values.simplify);
  if (values.steps) query.set("steps", "1");
  const seconds = field("timeout").value;
  if (seconds && Number(seconds) !== Number(field("timeout").defaultValue)) query.set("timeout", seconds);
  history.replaceState(null, "", `${location.pathname}?${query}`);
}

function differentiate() {
  if (pending) return;
  const values = request();
  remember(values);
  if (ready) {
    send(values);
  } else {
    queued = values;
    output.setAttribute("aria-busy", "true");
    output.replaceChildren(element("p", {}, "Waiting for the Python runtime to finish loading…"));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  differentiate();
});

const query = new URLSearchParams(location.search);
for (const name of ["expr", "wrt", "at", "simplify", "timeout"]) {
  if (query.has(name)) field(name).value = query.get(name);
}
field("steps").checked = query.get("steps") === "1";
startWorker();
if (query.get("expr")) differentiate();
