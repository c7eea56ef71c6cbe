"""The two carecred services. They never import each other; they meet in ``contracts/`` and the feeds."""
