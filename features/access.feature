@auth
Feature: Only signed-in people reach their own conversations
  A conversation is private. The engine lets in only people with a sign-in it can trust,
  and only into conversations that are theirs; everyone else is told why at once, and
  nothing they tried is kept.

  The words and limits used below:
  - A sign-in is the token the app's sign-in service (Supabase) gives a person, and the app
    passes on when it opens a conversation. It names the person by a user id (a UUID, the
    random 36-character id Supabase gives each person), says it is meant for this app's
    signed-in people (its "audience") and when it stops being valid.
  - The allowed clock skew is 30 seconds: the sign-in service's clock and the engine's may
    differ by that much, so a sign-in is still let in up to 30 s after it expired, and one
    dated up to 30 s ahead is let in too. The edge scenarios try 5 s inside and 5 s outside.
  - The longest sign-in allowed is 16,384 characters; real ones are 1 to 2 KB. A longer one
    is turned away unread, so a huge one costs the engine nothing; 100 KB is the example.
  - A sign-in "runs out" when the engine stops trusting it: 30 s (the clock skew) after the
    time it carries. While a conversation is open, the engine checks it again at each
    message, so the first message after that moment is refused.
  - A conversation's address holds its id, a UUID; anything else is a bad request.
  - "Turned away" and "refused" mean the connection is closed at once, with a reason the
    app can act on: not signed in, not allowed, or a bad request.

  Rule: A sign-in the engine cannot trust is turned away before anything is said

    Scenario: Someone without a sign-in is turned away
      When Eve opens a new conversation without signing in
      Then the engine refuses her as not signed in
      And nothing was kept of her visit

    Scenario Outline: A sign-in that cannot be trusted is turned away: <sign-in>
      When Eve opens a new conversation with <sign-in>
      Then the engine refuses her as not signed in
      And nothing was kept of her visit

      Examples: Forged or broken
        | sign-in                                      |
        | an empty sign-in                             |
        | a malformed sign-in                          |
        | a sign-in from another project               |
        | an unsigned sign-in                          |
        | a sign-in with a forged public-key signature |
        | a sign-in claiming a public-key algorithm    |
        | a sign-in of 100 KB                          |

      Examples: Outside its time
        | sign-in                         |
        | an expired sign-in              |
        | a sign-in that is not valid yet |
        | a sign-in issued in the future  |
        | a sign-in that never expires    |

      Examples: Not for a person using this app
        | sign-in                              |
        | a sign-in meant for another audience |
        | a sign-in without a user             |
        | a sign-in whose user is not a UUID   |
        | an anonymous sign-in                 |
        | a service sign-in                    |
        | a sign-in without a role             |

      Examples: Not where the engine reads it
        | sign-in                                     |
        | a sign-in in the Authorization header       |
        | a sign-in under another name in the address |

  Rule: The last sign-in inside each limit is let in, the first outside is not

    Scenario Outline: A sign-in at the edge of a limit is let in: <sign-in>
      Given Ada has started a new conversation with <sign-in>
      When she says "Am I in?"
      Then her conversation history holds her message followed by the assistant's reply

      Examples:
        | sign-in                                                        |
        | a sign-in that expired moments ago, within the allowed clock skew |
        | a sign-in valid in moments, within the allowed clock skew      |
        | a sign-in issued moments ahead, within the allowed clock skew  |
        | a sign-in of the longest length allowed                        |

    Scenario: A sign-in one character longer than allowed is turned away
      When Eve opens a new conversation with a sign-in one character too long
      Then the engine refuses her as not signed in
      And nothing was kept of her visit

  Rule: A sign-in that runs out ends the conversation's connection at the next message

    Scenario: A message sent after the sign-in ran out is refused, and the connection closed
      Given Ada has started a new conversation with a sign-in that runs out in 6 seconds
      And she has told the assistant "Hello while I am signed in"
      When her sign-in runs out
      And she sends a message
      Then she is told her sign-in has expired
      And the engine then closes her connection as not signed in
      And only her exchange from before is kept

  Rule: Someone else's conversation stays closed, and says nothing about itself

    Scenario: Nobody can open someone else's conversation
      Given Ada has started a new conversation
      And she has told the assistant "My secret is safe"
      When Grace tries to open Ada's conversation
      Then the engine refuses her as not allowed
      And Ada's conversation holds only Ada's exchange

    Scenario: A refusal says nothing about the conversation behind it
      Given Ada has started a new conversation
      And she has told the assistant "My secret is safe"
      And Hedy has started a new conversation
      When Grace tries to open Ada's conversation
      And Grace tries to open Hedy's conversation
      Then both refusals are the same bare refusal, with nothing about either conversation

  Rule: An address that is not a conversation's is refused before anything else

    Scenario: A conversation address that is not valid is refused
      When Eve opens the conversation "not-a-conversation-id"
      Then the engine refuses her as a bad request
