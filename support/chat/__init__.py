"""The contract's WebSocket (docs/contract.md) as a client speaks it.

    client.py      ChatConnection: one WebSocket to one conversation; ConnectionRefused
    reply.py       Reply: what the engine said about one message, from ack to done or error
    transcript.py  every frame each connection of a scenario sent and received, and when
"""
