"""The knowledge base as FHIR R5 resources: the mapping from the read shapes (app/reads/) to
Citation, Evidence, ClinicalUseDefinition and SubstanceDefinition, searches as Bundles, and
the CapabilityStatement. Plain dicts, built from what the reads return; the routes are
app/routes/fhir.py and the mapping is described in docs/fhir.md."""
