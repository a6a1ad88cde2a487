"""The orchestration service: the only writer of states.

It applies the policy to a proposed transition inside one database
transaction and writes what the rules decided. The embedded client and the
API server both call it; neither decides orchestration by itself.
"""
