// Refuse, before the form leaves, files that together exceed what one submission may
// carry (data-max-bytes on the file input, set by SizeLimitedFileInput): the server
// would answer 413 and the text typed in the form would be lost.
const inputs = document.querySelectorAll("input[type=file][data-max-bytes]");

function tooLarge(input) {
  const limit = Number(input.dataset.maxBytes);
  let total = 0;
  for (const file of input.files) {
    total += file.size;
  }
  return total > limit;
}

function showError(input, shown) {
  const id = `${input.id}-size-error`;
  let note = document.getElementById(id);
  if (!shown) {
    note?.remove();
    input.removeAttribute("aria-invalid");
    return;
  }
  if (!note) {
    note = document.createElement("p");
    note.id = id;
    note.className = "field-error";
    note.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", note);
  }
  note.textContent = input.dataset.tooLarge;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
}

for (const input of inputs) {
  input.addEventListener("change", () => showError(input, tooLarge(input)));
  input.form?.addEventListener("submit", (event) => {
    if (tooLarge(input)) {
      event.preventDefault();
      showError(input, true);
      input.focus();
    }
  });
}
