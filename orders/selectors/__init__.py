"""Reads for the pages (a module per page), each in a fixed number of queries."""
