// Password strength meter: asks the server, which runs the same policy as the form, so
// the meter and the verdict on submit never disagree. No inline script or style (CSP).
const script = document.querySelector("script[data-estimate-url]");
const endpoint = script ? script.dataset.estimateUrl : null;
// Details the server cannot know before the account exists (registration page).
const HINT_FIELDS = ["email", "first_names", "birth_last_name", "used_last_name"];
const DEBOUNCE_MS = 350;

function meterFor(input) {
  const wrapper = document.createElement("div");
  wrapper.className = "password-meter";
  const meter = document.createElement("meter");
  meter.min = 0;
  meter.max = 100;
  meter.value = 0;
  meter.id = `${input.id}-meter`;
  const label = document.createElement("label");
  label.htmlFor = meter.id;
  label.className = "hint";
  label.textContent = document.documentElement.lang === "en" ? "Strength" : "Robustesse";
  const verdict = document.createElement("ul");
  verdict.className = "hint";
  verdict.id = `${input.id}-verdict`;
  verdict.setAttribute("aria-live", "polite");
  wrapper.append(label, meter, verdict);
  input.insertAdjacentElement("afterend", wrapper);
  input.setAttribute("aria-describedby", verdict.id);
  return { meter, verdict };
}

function show({ meter, verdict }, result) {
  meter.max = Math.max(result.required * 1.25, 1);
  meter.low = result.required * 0.6;
  meter.high = result.required;
  meter.optimum = meter.max;
  meter.value = Math.min(result.bits, meter.max);
  verdict.replaceChildren();
  const lines = result.acceptable
    ? [`✓ ${Math.round(result.bits)} / ${result.required} bits`]
    : result.problems.map((problem) => problem.message);
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    item.className = result.acceptable ? "" : "field-error";
    verdict.append(item);
  }
}

function attach(form) {
  const input =
    form.querySelector("input[data-password-meter]") ||
    form.querySelector('input[autocomplete="new-password"]');
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!input || !csrf) return;
  const view = meterFor(input);
  let timer = null;
  let latest = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const asked = ++latest;
      const body = new FormData();
      body.append("password", input.value);
      for (const name of HINT_FIELDS) {
        const field = form.elements.namedItem(name);
        if (field && "value" in field) body.append(name, field.value);
      }
      try {
        const response = await fetch(endpoint, {
          method: "POST",
          body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrf.value },
        });
        if (!response.ok || asked !== latest) return;
        show(view, await response.json());
      } catch {
        // The meter is a help: the form still checks the password on submit.
      }
    }, DEBOUNCE_MS);
  });
}

if (endpoint) {
  for (const form of document.querySelectorAll("form")) attach(form);
}
