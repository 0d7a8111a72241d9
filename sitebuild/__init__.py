"""The site's build steps, run by the Makefile around the generator (MkDocs or Zensical).

Neither generator runs any site code (no MkDocs hooks, no plugin doing site work), so both
build the same site from the same files:

1. ``python -m sitebuild prepare`` writes what the generator copies like any other file of
   ``docs/`` (git-ignored): the figures (:mod:`sitebuild.figures`, ``docs/figures/*.svg``)
   and each notebook executed and written as a Markdown page (:mod:`sitebuild.notebooks`,
   ``docs/notebooks/*.md``).
2. The generator builds ``docs/`` into a folder: ``mkdocs build --strict -d site`` or
   ``zensical build --strict`` (into ``site-zensical``, see :mod:`sitebuild.zensical`).
3. ``python -m sitebuild finish SITE`` works on the built HTML: every formula typeset as
   MathML (:mod:`sitebuild.mathml`), the playground's runtime and the math font copied in
   (:mod:`sitebuild.playground`), then the strict checks of every page
   (:mod:`sitebuild.checks`: alt text, nothing loaded from another host, no MathJax);
   :mod:`sitebuild.finish` runs them page by page.

:mod:`sitebuild.html` is the one HTML reader these steps and the tests share;
:mod:`sitebuild.browser` the one search for the browser the tests drive.
"""
