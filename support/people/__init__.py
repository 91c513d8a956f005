"""The people of a scenario and the checks of what they are told.

    cast.py               Cast: a scenario's people, their connections, the jobs they caused
    person.py             Person: one user, her conversation, what she said and the replies
    tokens.py             sign-ins: good JWTs for each person, and forged ones to refuse
    bad_frames.py         frames a client might send, by the words the specs use for them
    crowd.py              many people sending at once, and floods
    tabs.py               one person with one conversation open on several connections
    answers.py            checks of a reply against what the model wrote, and of her history
    outages.py            what a person must be told while Redis or PostgreSQL is away
    long_conversation.py  a conversation longer than the model's context window
"""
