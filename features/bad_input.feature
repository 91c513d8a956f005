@bad_input
Feature: A message the assistant cannot take is refused clearly, and nothing is lost
  People and their apps sometimes send nothing, far too much, far too fast, or something
  that is not a message at all. They are told so at once, nothing of it is stored or
  queued, and the conversation goes on.

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

  Rule: Someone sending faster than allowed is asked to wait, not cut off

    Scenario: The last message inside the rate limit is answered, the next is asked to wait
      When she sends 61 messages as fast as she can
      Then her first 60 messages are accepted and answered
      And her 61st message is refused as too fast, with when to try again
      And nothing of her 61st message was kept
      And her connection is still open
      When she waits as long as she was told
      Then she can carry on the conversation

  Rule: A message is kept once, whatever the connection does

    Scenario: The conversation goes on after a message that was not valid
      Given she has sent an empty message
      When she says "Sorry, here is my real question"
      Then her conversation history holds her message followed by the assistant's reply

    Scenario: A message sent twice with the same id is stored and answered once
      When she sends a message and, unsure it arrived, sends it again with the same id
      Then both sends are acknowledged as the same message
      And her message and its answer are stored once

    @scripted_model
    Scenario: Someone who hangs up in the middle of an answer finds it whole on her return
      Given the assistant answers slowly
      And she has asked a question and the answer has started
      When she hangs up before the answer is finished
      And she reconnects to the same conversation
      Then the whole answer is in her history
