@tabs @scripted_model
Feature: The same conversation open in two tabs
  People open one conversation in two places at once: two tabs, or a phone and a laptop.
  Each place gets the answers to what was sent from it; the conversation stays one, with
  every message in the order the engine took it, each answered knowing all before it.

  The words used below:
  - A tab is one connection to the conversation. Both of hers are open at once, signed in
    as her, on the same conversation.
  - Her own answers: a tab is shown the answers to the messages sent from it, and no
    others. What the other tab sent and was answered is in the history, which both share.
  - In order: the engine takes the messages of both tabs one after another; each is
    answered only once the one taken before it is, and knowing it and its answer.
  - Sent again: with the same id, as an app unsure whether a message arrived sends it again,
    here from the other tab. It is the same message: that tab is told so, with the same
    confirmation, and shown the same answer; it is kept and answered once.
  - The assistant answers slowly here: 10 pieces, 150 ms apart, so that an answer is still
    being written when the other tab is closed, or when the message is sent again.

  Background:
    Given Ada has the same conversation open in two tabs

  Scenario: Messages sent from both tabs at once are each answered, in order, knowing each other
    When she sends a message from each tab at the same moment
    Then each tab is shown the whole answer to its own message, and nothing of the other's
    And her history holds both messages in the order they were taken, and each answer after its own message
    And each answer was written knowing the message taken before it and that message's answer

  Scenario: Closing one tab does not end the answer being written in the other
    Given the assistant answers slowly
    And she has asked a question in her second tab and the answer has started
    When she closes her first tab
    Then her second tab is shown the whole answer
    And nothing she sent was lost or answered twice

  Scenario: A message sent again from the other tab is the same message
    Given the assistant answers slowly
    When she sends a message from her first tab and, once its answer has started, sends it again from her second tab
    Then both tabs are told it is the same message
    And both tabs are shown the same whole answer
    And her message and its answer are kept once, and the assistant was asked once
