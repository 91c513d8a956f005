@backpressure @operates_workers
Feature: The assistant stays dependable when too much work is waiting
  When many messages wait for an answer, people are told the assistant is busy; when far
  too many wait, new messages are turned away with a time to try again, and nothing of a
  turned-away message is kept. Nobody is ever left wondering whether their message counted.

  The words and limits used below:
  - Waiting messages are those accepted and not yet answered. The assistant's workers are
    the engine's processes that write the answers; pausing them lets the scenarios set the
    number of waiting messages exactly.
  - The soft limit is 3000 waiting messages: from there a message is still accepted, with
    a busy notice, so the app can tell people answers will be slow. At the assistant's
    usual pace that many take minutes to answer.
  - The hard limit is 5000 waiting messages: from there a message is turned away, told
    when to try again (a number of seconds), and nothing of it is stored or queued, so a
    flood cannot grow the backlog without bound. The gap between the two limits gives apps
    time to slow down before anyone is refused.
  - Each limit is tried at its edge: one message below it and exactly at it.

  Background:
    Given the assistant's workers are paused
    And Ada has started a new conversation

  Rule: Below 3000 waiting messages, a message is simply accepted

    Scenario Outline: A message is accepted without a busy notice when <waiting> messages wait
      Given <waiting> messages are already waiting for an answer
      When she sends a message
      And the waiting messages are cleared and the assistant catches up
      Then her message was answered without a busy notice

      Examples:
        | waiting | why                          |
        | 0       | an idle assistant            |
        | 2999    | one below the soft limit     |

  Rule: From 3000 waiting messages, a message is accepted with a busy notice

    Scenario Outline: A message is accepted with a busy notice when <waiting> messages wait
      Given <waiting> messages are already waiting for an answer
      When she sends a message
      Then her message is accepted
      And she is told the assistant is busy

      Examples:
        | waiting | why                          |
        | 3000    | exactly at the soft limit    |
        | 4999    | one below the hard limit     |

    Scenario: A message accepted while the assistant is busy is still answered
      Given 3000 messages are already waiting for an answer
      When she sends a message
      And the waiting messages are cleared and the assistant catches up
      Then her message is answered

  Rule: From 5000 waiting messages, a message is turned away and nothing of it is kept

    Scenario Outline: A message is turned away with a time to retry, and nothing of it is kept, when <waiting> messages wait
      Given <waiting> messages are already waiting for an answer
      When she sends a message
      Then she is told the assistant is overloaded and when to try again
      And nothing of her message was kept
      And still <waiting> messages are waiting

      Examples:
        | waiting | why                          |
        | 5000    | exactly at the hard limit    |
        | 6000    | well past the hard limit     |

    Scenario: A turned-away message does not end the conversation
      Given 5000 messages are already waiting for an answer
      And she has sent a message that was turned away
      When she sends a message
      Then she is told the assistant is overloaded and when to try again
      And her connection is still open

    Scenario: Only as many messages as fit are accepted when many arrive at once
      Given 4990 messages are already waiting for an answer
      When 50 people each send a message at the same moment
      Then exactly 10 of their messages are accepted and 40 are turned away
      And the number of waiting messages never went above 5000

    Scenario: Once the queue has room again, her next message is answered
      Given 5000 messages are already waiting for an answer
      And she has sent a message that was turned away
      When the waiting messages are cleared and the assistant catches up
      And she sends a message
      Then her message is answered
