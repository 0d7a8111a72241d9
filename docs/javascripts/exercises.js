// Exercises on the teaching pages: the reader's answer is checked by nnspec in Python, in a Web
// Worker (exercise-worker.js, the playground's Pyodide runtime), started when the reader first
// focuses an answer field. Each check runs under the time limit the worker reports
// (nnspec.expressions.playground.TIME_LIMIT): past it the worker is terminated, the exercise
// says so, and a fresh worker boots so the next check works. Nothing leaves the page; solved
// exercises are remembered in localStorage ("nnspec-exercises"), on this device only.
(() => {
  const exercises = [...document.querySelectorAll("[data-exercise]")];
  if (exercises.length === 0) return;
  // A classic script (extra_javascript): the worker sits beside it, wherever the site is served.
  const script = document.currentScript || document.querySelector("script[src$='javascripts/exercises.js']");
  const workerURL = new URL("exercise-worker.js", script.src);
  const STORE = "nnspec-exercises";

  let worker = null;
  let ready = false;
  let failed = null;
  let timeLimit = 5; // replaced by the worker's TIME_LIMIT once it is ready
  let pending = null; // {id, exercise, spec, text, timer}
  let queue = [];
  let counter = 0;
  let loading = "Loading the checker…";

  function solved() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "{}");
    } catch {
      return {};
    }
  }

  function remember(id) {
    try {
      localStorage.setItem(STORE, JSON.stringify({ ...solved(), [id]: true }));
    } catch {
      // storage may be disabled: progress is then not kept, the exercise still works
    }
  }

  function markSolved(exercise) {
    exercise.classList.add("nnspec-exercise-solved");
    const title = exercise.querySelector(".nnspec-exercise-title");
    if (title && !title.querySelector(".nnspec-exercise-done")) {
      const done = document.createElement("span");
      done.className = "nnspec-exercise-done";
      done.textContent = " (solved)";
      title.append(done);
    }
  }

  function show(exercise, state, message) {
    const feedback = exercise.querySelector("[aria-live]");
    feedback.dataset.state = state;
    if (state === "checking") feedback.setAttribute("aria-busy", "true");
    else feedback.removeAttribute("aria-busy");
    feedback.textContent = message;
  }

  function waiting() {
    return [pending, ...queue].filter(Boolean);
  }

  function start() {
    ready = false;
    failed = null;
    worker = new Worker(workerURL, { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        loading = `Loading the checker (first time: up to a minute): ${data.label}`;
        for (const job of waiting()) show(job.exercise, "checking", loading);
      } else if (data.type === "ready") {
        ready = true;
        timeLimit = Number(data.timeLimit) || timeLimit;
        pump();
      } else if (data.type === "result" && pending && data.id === pending.id) {
        const job = pending;
        clearTimeout(job.timer);
        pending = null;
        const { correct, message } = data.result;
        show(job.exercise, correct ? "correct" : "wrong", message);
        if (correct) {
          remember(job.exercise.dataset.exercise);
          markSolved(job.exercise);
        }
        pump();
      } else if (data.type === "failed") {
        fail(data.message);
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(event.message || "the worker could not start");
    };
  }

  function fail(message) {
    failed = `The checker could not start: ${message}. Reload the page to try again.`;
    for (const job of waiting()) {
      clearTimeout(job.timer);
      show(job.exercise, "failed", failed);
    }
    pending = null;
    queue = [];
  }

  function stop(job) {
    worker.terminate();
    worker = null;
    pending = null;
    show(
      job.exercise,
      "stopped",
      `Stopped: checking this answer took longer than the time limit of ${timeLimit} s. ` +
        "The checker is restarting; try a simpler form of your answer.",
    );
    start();
    for (const queued of queue) show(queued.exercise, "checking", "Restarting the checker…");
  }

  function pump() {
    if (!ready || pending || queue.length === 0) return;
    pending = queue.shift();
    const job = pending;
    show(job.exercise, "checking", "Checking…");
    worker.postMessage({ type: "check", id: job.id, spec: job.spec, text: job.text });
    job.timer = setTimeout(() => stop(job), timeLimit * 1000);
  }

  function ensureWorker() {
    if (!worker) start();
  }

  function specOf(exercise) {
    const data = exercise.dataset;
    return JSON.stringify({
      id: data.exercise,
      kind: data.kind,
      answer: exercise.querySelector("[data-answer]").dataset.answer,
      variables: JSON.parse(data.variables || "[]"),
      tolerance: Number(data.tolerance || 0),
      choices: JSON.parse(data.choices || "[]"),
      wrong: JSON.parse(data.wrong || "[]"),
      check: JSON.parse(data.check || "{}"),
    });
  }

  function answerOf(exercise) {
    if (exercise.dataset.kind === "choice") {
      const chosen = exercise.querySelector("input[type=radio]:checked");
      return chosen ? chosen.value : "";
    }
    return exercise.querySelector("input[type=text]").value;
  }

  function submit(exercise) {
    const text = answerOf(exercise);
    if (!text.trim()) {
      const what = exercise.dataset.kind === "choice" ? "Choose an answer first." : "Type an answer first.";
      show(exercise, "wrong", what);
      return;
    }
    if (failed) {
      show(exercise, "failed", failed);
      return;
    }
    ensureWorker();
    queue = queue.filter((job) => job.exercise !== exercise);
    counter += 1;
    queue.push({ id: counter, exercise, spec: specOf(exercise), text, timer: null });
    show(exercise, "checking", ready ? "Checking…" : loading);
    pump();
  }

  const done = solved();
  for (const exercise of exercises) {
    if (done[exercise.dataset.exercise]) markSolved(exercise);
    const form = exercise.querySelector("form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(exercise);
    });
    form.addEventListener("focusin", ensureWorker);
  }
})();
