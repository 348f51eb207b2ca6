"""The sample-data generator: scaffolding that writes ``datasets/``, kept apart from what learners read.

``labkit data build`` calls :func:`generate`; everything here exists to produce the fictional
company's files deterministically (one seed and one scale fix every byte):

- :mod:`~labkit.data.generate.build`: the build itself (every table, ``manifest.json``, the card);
- :mod:`~labkit.data.generate.common`: seeded RNGs per part, people, the date helpers;
- :mod:`~labkit.data.generate.fakes`: fake identifiers (cards, IBANs, national ids) with checksums;
- :mod:`~labkit.data.generate.kb`, :mod:`~.crm`, :mod:`~.tickets`, :mod:`~.invoices`: one per source
  system, each with its planted defects;
- :mod:`~labkit.data.generate.evalsets`: labelled PII and injection cases;
- :mod:`~labkit.data.generate.card`: the data card (``datasets/README.md``) rendered from the manifest.

What learners read sits one level up: the dataset's contract (:mod:`labkit.data.schema`), the
DuckDB catalogue, the access rule and the readiness profile.
"""

from labkit.data.generate.build import FILES, build_tables, default_out_dir, generate

__all__ = ["FILES", "build_tables", "default_out_dir", "generate"]
