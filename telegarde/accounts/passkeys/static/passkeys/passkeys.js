// WebAuthn ceremonies for the passkey forms (no inline script: the CSP forbids it).
// A form marked data-passkey="create" or "get" fetches its options as JSON from
// data-options-url, runs navigator.credentials, puts the answer (base64url JSON) in its
// hidden "credential" field and submits: the server answers with an ordinary page.

const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
};

const toText = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const creationOptions = (json) => ({
  ...json,
  challenge: toBytes(json.challenge),
  user: { ...json.user, id: toBytes(json.user.id) },
  excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
});

const requestOptions = (json) => ({
  ...json,
  challenge: toBytes(json.challenge),
  allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) })),
});

const serialise = (credential) => {
  const response = credential.response;
  const common = {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
  if (response.attestationObject) {
    return {
      ...common,
      response: {
        clientDataJSON: toText(response.clientDataJSON),
        attestationObject: toText(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
    };
  }
  return {
    ...common,
    response: {
      clientDataJSON: toText(response.clientDataJSON),
      authenticatorData: toText(response.authenticatorData),
      signature: toText(response.signature),
      userHandle: response.userHandle ? toText(response.userHandle) : null,
    },
  };
};

class Problem extends Error {}

const fetchOptions = async (form) => {
  let response;
  try {
    response = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
        Accept: "application/json",
      },
    });
  } catch {
    throw new Problem(form.dataset.msgNetwork);
  }
  // A step-up or sign-in redirect answers with a page, not options: go there.
  if (response.redirected || !response.headers.get("content-type")?.includes("json")) {
    window.location.assign(response.url);
    return null;
  }
  const body = await response.json();
  if (!response.ok) throw new Problem(body.error || form.dataset.msgNetwork);
  return body;
};

const showError = (form, message) => {
  const box = form.querySelector("[data-passkey-error]");
  box.textContent = message;
  box.hidden = false;
};

const submitWith = (form, credential) => {
  form.querySelector("input[name=credential]").value = JSON.stringify(serialise(credential));
  form.submit();
};

const ceremony = async (form, signal, mediation) => {
  const json = await fetchOptions(form);
  if (json === null) return;
  let credential;
  try {
    if (form.dataset.passkey === "create") {
      credential = await navigator.credentials.create({ publicKey: creationOptions(json) });
    } else {
      const options = { publicKey: requestOptions(json), signal };
      if (mediation) options.mediation = mediation;
      credential = await navigator.credentials.get(options);
    }
  } catch (error) {
    if (error.name === "AbortError") return;
    throw new Problem(`${form.dataset.msgCancelled} (${error.name})`);
  }
  if (credential) submitWith(form, credential);
};

const setUp = (form) => {
  const start = form.querySelector("[data-passkey-start]");
  if (!window.PublicKeyCredential) {
    start.disabled = true;
    showError(form, form.dataset.msgUnsupported);
    return;
  }
  let conditional = null;
  start.addEventListener("click", async () => {
    const name = form.querySelector("input[name=name]");
    if (name && !name.value.trim()) {
      showError(form, form.dataset.msgName);
      name.focus();
      return;
    }
    if (conditional) conditional.abort();
    start.disabled = true;
    try {
      await ceremony(form);
    } catch (error) {
      showError(form, error instanceof Problem ? error.message : String(error));
    } finally {
      start.disabled = false;
    }
  });
  // Conditional UI: once the e-mail field is focused, the browser offers this device's
  // passkeys among its suggestions (started on focus, so the button keeps the first word).
  const field = document.querySelector("input[autocomplete~=username]");
  if (form.dataset.conditional !== undefined && field && PublicKeyCredential.isConditionalMediationAvailable) {
    field.addEventListener("focus", async () => {
      if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return;
      field.setAttribute("autocomplete", "username webauthn");
      conditional = new AbortController();
      ceremony(form, conditional.signal, "conditional").catch(() => {});
    }, { once: true });
  }
};

document.querySelectorAll("form[data-passkey]").forEach(setUp);
