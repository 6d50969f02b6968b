"""Checks: the declarative YAML format, its loader and validator, the operator table and the evaluator."""
