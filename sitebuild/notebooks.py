"""Build step: execute each notebook and write it as a Markdown page beside it (git-ignored).

``docs/notebooks/<name>.ipynb`` is run top to bottom in a fresh Jupyter kernel (nbclient; an
error, or anything written to stderr, fails the build) and written to
``docs/notebooks/<name>.md``: Markdown cells as they are, code cells as Python fences, each
cell's outputs below it in a ``<div class="nnspec-output">`` (text as a text fence, LaTeX as a
display formula, images with the alt text the cell's metadata gives). Both generators then
build the page like any other, so its formulas, links and code look and are checked the same
in MkDocs and Zensical. The notebook itself is copied beside the page and linked from it.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from .errors import BuildError
from .paths import DOCS

NOTEBOOKS = DOCS / "notebooks"
CELL_SECONDS = 300
HEADER = "*This page is the notebook [{name}]({name}), run when the site was built.*"


def _fence(text: str, language: str) -> str:
    """A code fence longer than any run of backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def display_math(latex: str) -> str:
    """A LaTeX output (``$\\displaystyle ...$`` from SymPy and IPython) as a display formula."""
    tex = latex.strip()
    for delimiter in ("$$", "$"):
        if tex.startswith(delimiter) and tex.endswith(delimiter) and len(tex) > 2 * len(delimiter):
            tex = tex[len(delimiter) : -len(delimiter)].strip()
            break
    tex = tex.removeprefix("\\displaystyle").strip()
    return f"$$\n{tex}\n$$"


def _image(data: dict, cell, where: str) -> str | None:
    alt = str(cell.metadata.get("alt", "")).strip()
    for mime in ("image/svg+xml", "image/png"):
        if mime in data:
            if not alt:
                raise BuildError(f"{where}: an image output needs alt text: set the cell's metadata 'alt'")
            payload = data[mime]
            encoded = base64.b64encode(payload.encode()).decode() if mime == "image/svg+xml" else payload
            return f'<img src="data:{mime};base64,{"".join(encoded.split())}" alt="{alt}">'
    return None


def render_output(output, cell, where: str) -> str:
    """One output of an executed cell as Markdown (raises BuildError on stderr or an error)."""
    if output.output_type == "stream":
        if output.name == "stderr":
            raise BuildError(f"{where}: wrote to stderr: {output.text.strip()[:200]}")
        return _fence(output.text, "text")
    if output.output_type == "error":
        raise BuildError(f"{where}: {output.ename}: {output.evalue}")
    data = output.get("data", {})
    image = _image(data, cell, where)
    if image is not None:
        return image
    if "text/latex" in data:
        return display_math(data["text/latex"])
    if "text/markdown" in data:
        return data["text/markdown"]
    if "text/html" in data:
        return data["text/html"]
    if "text/plain" in data:
        return _fence(data["text/plain"], "text")
    raise BuildError(f"{where}: an output with none of the supported types: {sorted(data)}")


def to_markdown(notebook, name: str) -> str:
    """An executed notebook as the Markdown page the generators build."""
    parts = []
    for number, cell in enumerate(notebook.cells, 1):
        where = f"{name} cell {number}"
        if cell.cell_type == "markdown":
            parts.append(cell.source)
            if number == 1:
                parts.append(HEADER.format(name=name))
        elif cell.cell_type == "code":
            parts.append(_fence(cell.source, "python"))
            outputs = [render_output(output, cell, where) for output in cell.outputs]
            if outputs:
                body = "\n\n".join(outputs)
                parts.append(f'<div class="nnspec-output" markdown="1">\n\n{body}\n\n</div>')
    return "\n\n".join(parts) + "\n"


def execute(path: Path):
    """Run the notebook at ``path`` in a fresh kernel, in its folder; return the executed copy."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_SECONDS,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        raise BuildError(f"{path.name} failed: {str(error).strip().splitlines()[-1]}") from error
    return notebook


def build(folder: Path = NOTEBOOKS) -> list[Path]:
    """Execute every notebook of ``folder`` and write its page; return the pages written."""
    written = []
    for path in sorted(folder.glob("*.ipynb")):
        page = path.with_suffix(".md")
        page.write_text(to_markdown(execute(path), path.name), encoding="utf-8")
        written.append(page)
    for stale in set(folder.glob("*.md")) - set(written):
        stale.unlink()
    return written
