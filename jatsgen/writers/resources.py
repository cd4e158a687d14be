"""Resource-only deposits (`doi_resources` 5.4.0): links, licences, funding, relations and
references added to DOIs that are already registered, without sending their metadata again.

The parts are the ones a full deposit carries (`CrossrefWriter` builds them), written in the
resource schema's namespace and in the order its body requires. Only 5.4.0 has this schema.
"""

from __future__ import annotations

from lxml import etree

from ..config import DepositConfig
from ..diagnostics import Diagnostics
from ..model import Work
from .crossref import AI_NS, CROSSREF_MIXED, FR_NS, REL_NS, SPECS, XSI_NS, CrossrefWriter, Losses
from .xmlbuild import Builder, indent

RESOURCES_VERSION = "5.4.0"
RESOURCES_NS = f"http://www.crossref.org/doi_resources_schema/{RESOURCES_VERSION}"
RESOURCES_XSD = f"https://www.crossref.org/schemas/doi_resources{RESOURCES_VERSION}.xsd"
# the body's children, in the order doi_resources5.4.0.xsd requires them
_ORDER = ("doi_citations", "doi_resources", "fundref_data", "lic_ref_data", "doi_relations")


class ResourceWriter(CrossrefWriter):
    """A CrossrefWriter whose elements are in the resource schema's namespace."""

    def __init__(self, config: DepositConfig, diags: Diagnostics, losses: Losses) -> None:
        super().__init__(SPECS[RESOURCES_VERSION], config, diags, losses)
        self.nsmap = {
            None: RESOURCES_NS,
            "fr": FR_NS,
            "ai": AI_NS,
            "rel": REL_NS,
            "xsi": XSI_NS,
        }
        self.b = Builder(diags, namespace=RESOURCES_NS)

    def parts(self, w: Work) -> dict[str, list[etree._Element]]:
        """The body's children for one DOI, by element name."""
        a, b = w.article, self.b
        out: dict[str, list[etree._Element]] = {name: [] for name in _ORDER}
        citations = self.citations(a)
        if citations is not None:
            out["doi_citations"].append(b("doi_citations", b("doi", w.doi), citations))
        for collection in self.collections(a.full_text):
            out["doi_resources"].append(b("doi_resources", b("doi", w.doi), collection))
        funding = self.funding(a)
        if funding is not None:
            out["fundref_data"].append(b("fundref_data", b("doi", w.doi), funding))
        licence = self.license(a)
        if licence is not None:
            out["lic_ref_data"].append(b("lic_ref_data", b("doi", w.doi), licence))
        relations = self.relations(a)
        if relations is not None:
            out["doi_relations"].append(b("doi_relations", b("doi", w.doi), relations))
        return out

    def batch(self, works: list[Work], batch_id: str) -> bytes:
        b = self.b
        body: dict[str, list[etree._Element]] = {name: [] for name in _ORDER}
        for w in works:
            for name, els in self.parts(w).items():
                body[name] += els
        root = etree.Element(
            f"{{{RESOURCES_NS}}}doi_batch",
            {
                "version": RESOURCES_VERSION,
                f"{{{XSI_NS}}}schemaLocation": f"{RESOURCES_NS} {RESOURCES_XSD}",
            },
            nsmap=self.nsmap,
        )
        b.fill(
            root,
            [
                b(
                    "head",
                    b("doi_batch_id", batch_id),
                    b(
                        "depositor",
                        b("depositor_name", self.config.depositor_name),
                        b("email_address", self.config.depositor_email),
                    ),
                ),
                b("body", [el for name in _ORDER for el in body[name]]),
            ],
        )
        indent(root, 0, CROSSREF_MIXED)
        data: bytes = etree.tostring(root, encoding="UTF-8")
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + data + b"\n"


def resource_batch(
    works: list[Work], config: DepositConfig, diags: Diagnostics, batch_id: str
) -> bytes:
    """One doi_resources batch for `works` (each a registered DOI with what to add); what
    the resource schema cannot carry is reported to `diags`."""
    losses = Losses()
    data = ResourceWriter(config, diags, losses).batch(works, batch_id)
    losses.report(diags)
    return data
