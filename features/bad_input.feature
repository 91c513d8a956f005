@bad_input
Feature: A message the assistant cannot take is refused clearly, and nothing is lost
  People sometimes send nothing, far too much, or something that is not a message at all.
  They are told so at once, nothing of it is stored or queued, and the conversation goes on.

  Background:
    Given Ada has started a new conversation

  Scenario Outline: A message that is not valid is refused: <what>
    When she sends <what>
    Then she is told her message is not valid
    And nothing of her message was kept

    Examples:
      | what                          |
      | an empty message              |
      | a message of only spaces      |
      | a message of 8001 characters  |
      | something that is not a message |

  Scenario: The conversation goes on after a message that was not valid
    Given she has sent an empty message
    When she says "Sorry, here is my real question"
    Then her conversation history holds her message followed by the assistant's reply

  Scenario: A message sent twice with the same id is stored and answered once
    When she sends a message and, unsure it arrived, sends it again with the same id
    Then both sends are acknowledged as the same message
    And her message and its answer are stored once
