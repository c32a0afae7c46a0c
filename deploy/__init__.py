"""Deployment recipes: the scaled-out topology with containers (compose.yaml) and without
(deploy/cluster.py). See docs/scaling.md."""
