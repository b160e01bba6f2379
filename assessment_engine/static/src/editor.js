// The questionnaire editor's code editors: each <textarea data-code-editor> becomes a CodeMirror 6
// JSON editor (syntax highlighting, bracket matching, JSON syntax errors as you type). The
// textarea stays the form field, so the page works the same without JavaScript: the editor
// writes its text back into it on every change. Bundled by esbuild (npm run build:editor).
import { basicSetup, EditorView } from "codemirror";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { linter, lintGutter } from "@codemirror/lint";

const editors = new Map();
// GOV.UK-like frame and focus; the editor scrolls inside a bounded height.
const theme = EditorView.theme({
  "&": { border: "2px solid #0b0c0c", fontSize: "16px", backgroundColor: "#ffffff" },
  "&.cm-focused": { outline: "3px solid #ffdd00", outlineOffset: "0" },
  ".cm-scroller": { minHeight: "12rem", maxHeight: "40rem", overflow: "auto" },
});

function enhance(textarea) {
  // The page's CSP nonce: CodeMirror uses it if it ever has to fall back to a <style> element.
  const nonce = textarea.dataset.cspNonce || "";
  const view = new EditorView({
    doc: textarea.value,
    extensions: [
      basicSetup,
      json(),
      linter(jsonParseLinter()),
      lintGutter(),
      EditorView.cspNonce.of(nonce),
      theme,
      // tabindex says outright what browsers do for contenteditable anyway: the text, and so
      // the scrolling region around it, is reached with the Tab key (axe-core's
      // scrollable-region-focusable counts only elements in the tab order by tabindex).
      EditorView.contentAttributes.of({
        "aria-label": textarea.dataset.label || "JSON",
        tabindex: "0",
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) textarea.value = update.state.doc.toString();
      }),
    ],
  });
  const wrapper = document.createElement("div");
  wrapper.className = "app-code-editor";
  wrapper.dataset.editorFor = textarea.id;
  textarea.insertAdjacentElement("afterend", wrapper);
  wrapper.appendChild(view.dom);
  textarea.hidden = true;
  textarea.style.display = "none"; // .govuk-textarea sets display, which beats [hidden]
  textarea.setAttribute("aria-hidden", "true");
  editors.set(textarea.id, view);
  return view;
}

// "Line 12" links in the problem list move the cursor there instead of to the hidden textarea.
function goToLine(event) {
  const link = event.target.closest("a[data-editor][data-line]");
  if (!link) return;
  const view = editors.get(link.dataset.editor);
  if (!view) return;
  event.preventDefault();
  const number = Math.min(Math.max(parseInt(link.dataset.line, 10) || 1, 1), view.state.doc.lines);
  const line = view.state.doc.line(number);
  view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
  view.focus();
}

for (const textarea of document.querySelectorAll("textarea[data-code-editor]")) enhance(textarea);
document.addEventListener("click", goToLine);
window.assessmentEditors = editors;
