"""The workspace: a mesh folder (``mesh.yaml``, domains, products), its product graph and build plans."""
