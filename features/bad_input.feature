@bad_input
Feature: A message the assistant cannot take is refused clearly, and nothing is lost
  People and their apps sometimes send nothing, far too much, far too fast, or something
  that is not a message at all. They are told so at once, nothing of it is stored or
  queued, and the conversation goes on.

  The words and limits used below:
  - A frame is one thing the app sends over the open connection: normally a message, but
    an app may send anything. A frame that is not a valid message is refused with a reason
    the app can show, and the connection stays open.
  - A message's id is the app's own name for it, so that a message sent again is known to
    be the same one. It is optional, and at most 100 characters long: room for any usual
    id (the random ids apps make are 36 characters).
  - The longest message is 8,000 characters, counted after the spaces around it are
    trimmed: room for a long question with some pasted text, while one message stays a
    bounded cost to answer. A message of only spaces is empty, and empty is refused.
  - A message is nested 1 level deep; an app may add fields of its own, nested up to 32
    levels. Deeper nesting is never needed by a message, so it is refused before it is read.
  - A message may not hold a NUL character or half of an emoji's code (a "lone
    surrogate"): the conversation history cannot store them.
  - The largest frame is 1 MiB (1,048,576 bytes), room for the longest message many times
    over. A larger frame is not read at all, so a huge one costs the engine nothing: the
    connection is closed as "too big", and the app may connect again.
  - The rate limit is 60 frames in any 10 seconds on one connection: six a second, far
    more than anyone types, so only a runaway app meets it. Every frame counts, valid or
    not, so frames that are not valid cannot get past it either. The limit looks back 10
    seconds from every frame, not over fixed blocks of 10 seconds that start afresh. A frame
    over the limit is refused "as too fast", keeps nothing, and does not count itself; the
    refusal says in how many whole seconds a frame will be let through again, rounded up.
    The scenarios check that a frame sent at that time is let through and one sent 2
    seconds before it is not (a second for the rounding, a second for a busy machine).
  - A message sent twice with the same id (an app unsure the first arrived) is one message:
    both sends are acknowledged alike, it is queued once for the assistant, the assistant
    is asked once, and she is shown that one answer, once for each time she sent it, even
    when she sends it again long after the answer came.

  Background:
    Given Ada has started a new conversation

  Rule: A frame that is not a valid message is refused, and the conversation goes on

    Scenario Outline: A message that is not valid is refused: <what>
      When she sends <what>
      Then she is told her message is not valid
      And nothing of her message was kept
      And she can carry on the conversation

      Examples: Not a message at all
        | what                            |
        | something that is not a message |
        | a binary frame                  |
        | a broken JSON object            |
        | a JSON list                     |
        | a JSON number                   |

      Examples: Content that cannot be taken
        | what                                |
        | an empty message                    |
        | a message of only spaces            |
        | a message of 8001 characters        |
        | a message of a million characters   |
        | a message whose content is not text |
        | a message without content           |
        | a message with a NUL character      |
        | a message with a lone surrogate     |

      Examples: An id or a shape that cannot be taken
        | what                                   |
        | a message with an empty id             |
        | a message whose id is not text         |
        | a message with an id of 101 characters |
        | a message nested 33 levels deep        |
        | a message nested 100000 levels deep    |

    Scenario: The conversation goes on after a message that was not valid
      Given she has sent an empty message
      When she says "Sorry, here is my real question"
      Then her conversation history holds her message followed by the assistant's reply

  Rule: The last value inside each limit is taken and answered in full

    Scenario Outline: A message at the edge of a limit is answered: <what>
      When she sends <what>
      Then it is answered and kept like any other message

      Examples:
        | what                                     |
        | a message of 8000 characters             |
        | a message with an id of 100 characters   |
        | a message nested 32 levels deep          |
        | a message in a frame of the largest size |

  Rule: A frame larger than the largest size ends the connection, not the engine

    Scenario Outline: A frame too big to read closes the connection, and she can come back: <what>
      When she sends <what>
      Then the engine closes her connection as too big
      And her conversation holds nothing
      When she reconnects to the same conversation
      Then she can carry on the conversation

      Examples:
        | what                                   |
        | a frame one byte over the largest size |
        | a frame of 20 MB                       |

  Rule: Someone sending more than 60 frames in any 10 seconds is asked to wait, not cut off

    Scenario Outline: Every frame inside the rate limit counts, valid or not, and the next is asked to wait: <the first 60>
      When she sends <the first 60>, then one more message, as fast as she can
      Then each of her first 60 frames is answered, or refused as not valid if it was not valid
      And her 61st message is refused as too fast, with when to try again
      And nothing of her 61st message was kept

      Examples:
        | the first 60                                      |
        | 60 messages                                       |
        | 30 messages and 30 frames that are not valid      |

    Scenario: The limit looks back 10 seconds from every frame, and lets her in at the time she was told
      When she sends a message, and 5 seconds later 60 more as fast as she can
      Then her 61st message is refused as too fast, with when to try again
      When she sends a message 2 seconds before she was told she could
      Then it is refused as too fast, with when to try again
      When she sends two messages at the time she was told she could
      Then the first of the two is answered and kept like any other message, on the same connection
      And the second is refused as too fast, as 60 of her frames went through in the 10 seconds before it

  Rule: A message is kept once, whatever the connection does

    @scripted_model
    Scenario: A message sent twice with the same id is stored and answered once
      Given the assistant answers slowly
      When she sends a message and, unsure it arrived, sends it again with the same id
      Then both sends are acknowledged as the same message
      And her message was queued once, and the assistant was asked once
      And she is shown the one answer the assistant wrote, once for each time she sent it
      And her message and its answer are stored once

    @scripted_model
    Scenario: A message sent again after its answer came is shown the same answer again
      When she sends a message and, once its answer has come, sends it again with the same id
      Then the second send is acknowledged as the same message and shown the same answer again
      And her message and its answer are stored once
      And the model was asked 1 time

    @scripted_model
    Scenario: Someone who hangs up in the middle of an answer finds it whole on her return
      Given the assistant answers slowly
      And she has asked a question and the answer has started
      When she hangs up before the answer is finished
      And she reconnects to the same conversation
      Then the whole answer is in her history
