"""A static site of a release: home page, charts, a page per claim, source and
originator, a filterable table of all figures and a search over evidence and quotes.

Plain files that work from a folder or any static host, with no server and no
network at view time. ``build_site`` is the whole API; matplotlib is imported only
while charts are drawn (install the ``site`` extra: ``pip install 'nkdata[site]'``).
"""

from __future__ import annotations

from nkdata.outputs.site.build import SiteResult, build_site

__all__ = ["SiteResult", "build_site"]
