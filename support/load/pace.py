"""How fast the scriptable model answers in load runs (support/model/server.py settings), and
the message load runs send."""

# 21 words: enough for 20 pieces a reply.
MESSAGE_TEXT = ("Tell me something about the sea and the ships that sail on it, "
                "and about the people who sail them")

# The testing plan's realistic pace: the first piece after 300 ms, then 20 pieces 30 ms
# apart; 0.9 s of the model's own time a reply.
REALISTIC = {"first_chunk_delay_ms": 300, "chunk_delay_ms": 30, "chunks": 20}
# The model at zero latency with 10 pieces a reply: all the time is the engine's.
INSTANT = {"first_chunk_delay_ms": 0, "chunk_delay_ms": 0, "chunks": 10}


def model_ms(pace: dict) -> float:
    """The model's own time for one reply at this pace (each piece waits chunk_delay_ms)."""
    return pace["first_chunk_delay_ms"] + pace["chunks"] * pace["chunk_delay_ms"]

# The plan's "100+ concurrent users" chatting at a human pace: 100 people, each sending a
# message every 10 s on average, 10 messages a second in all.
HUMAN_PACE_PEOPLE, HUMAN_PACE_EVERY_S = 100, 10
