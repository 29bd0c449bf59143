"""Registry ids for names (HGNC, miRBase, DrugBank/ChEBI, Disease Ontology): the offline index and
its look-ups.
"""
