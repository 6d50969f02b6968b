"""The network view: nmap runs (runner), its XML parsed host by host (nmap_xml), network probes'
needs and facts (probe, and facts/probes/net_*.py), and the per-run scanning session that runs
beside SSH collection and hands each host its network facts (session). See docs/network-scanning.md.
"""
