// The passkey ceremonies of the sign-in pages: ask the node for options, let the browser
// talk to the authenticator, send the result back. The node checks everything.
"use strict";

async function post(url, body, csrf) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const response = await fetch(url, {
    method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.message || `refused (${response.status})`);
  return data;
}

function fail(error) {
  const shown = document.getElementById("passkey-error");
  shown.textContent = error.message || String(error);
  shown.hidden = false;
}

function accountName() {
  const field = document.getElementById("name");
  return field ? field.value.trim() : "";
}

async function signIn(button) {
  const options = await post(button.dataset.options, {});
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
  });
  const done = await post(button.dataset.verify, { credential: credential.toJSON() });
  window.location.assign(done.next);
}

async function register(button) {
  const name = accountName();
  const csrf = button.dataset.csrf;
  const options = await post(button.dataset.options, { name }, csrf);
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
  });
  const done = await post(
    button.dataset.verify, { name, credential: credential.toJSON() }, csrf,
  );
  if (done.recovery_codes) {
    const list = document.getElementById("recovery-codes");
    for (const code of done.recovery_codes) {
      const item = document.createElement("li");
      const text = document.createElement("code");
      text.textContent = code;
      item.append(text);
      list.append(item);
    }
    document.getElementById("recovery").hidden = false;
  } else {
    window.location.assign(done.next);
  }
}

for (const [id, ceremony] of [
  ["passkey-sign-in", signIn], ["passkey-register", register], ["passkey-add", register],
]) {
  const button = document.getElementById(id);
  if (button) {
    button.addEventListener("click", () => {
      document.getElementById("passkey-error").hidden = true;
      ceremony(button).catch(fail);
    });
  }
}
