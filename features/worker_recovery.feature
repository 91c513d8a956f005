@recovery @operates_workers @scripted_model
Feature: Answers survive workers that crash, stop or cannot cope
  The workers that write the assistant's answers can die in the middle of one. People
  still get exactly one complete answer, nothing is stored twice, and a message that can
  never be answered ends in a clear error rather than silence.

  What the words below mean, and why the numbers are what they are:
  - A worker is one of the engine's processes that write answers. The test stack runs 2,
    so that one can take over from the other. A worker that crashes is killed without
    warning; one asked to stop is told to finish what it is writing and leave, as when the
    engine is updated.
  - Messages wait in the engine's queue until a worker has answered them; once answered,
    nothing of a message is left there.
  - The engine hands each message to a worker to answer; each hand-over is a delivery.
    A message left untouched for 2 seconds (the claim timeout of the test stack; 30
    seconds by default) looks abandoned, and a worker takes it over and writes the answer
    again. A worker that is still writing touches its message every so often, so that it
    never looks abandoned.
  - A complete answer ends with the engine saying it is finished; every piece is shown
    once, in order, and together they are exactly what the model (the AI that writes the
    answers) wrote. Each go at writing an answer is an attempt: "written again from the
    start" means the pieces she had were replaced by a new attempt's, from its first word;
    "in a single attempt" means it was never restarted.
  - "Answers slowly" is 10 pieces 150 ms apart, 1.5 seconds an answer: time to crash or
    stop its worker in the middle. "Takes 6 seconds" is three times the 2 seconds after
    which a message looks abandoned, while the other worker is free to take it over.
  - A crashed worker is replaced within 15 seconds, as the engine promises.
  - While the workers are paused, messages are taken and wait; none is answered. Three
    messages are enough to show that they are then answered in the order she sent them.
  - A message that can never be answered is one the model refuses every time. A refusal
    is not tried again on the spot; the message is delivered again, 3 deliveries in all
    (the engine's limit, so that one bad message cannot keep the workers busy for ever),
    and then given up on: she is told, and it is filed, with the reason, among those the
    engine could not answer, for the people who run the engine to look at.
  - The engine keeps a copy of what it sent her for 5 minutes, as it promises, so that
    someone who comes back can be sent it again; after that the copy is deleted.
  - Twenty crashes in a row: enough that an answer lost or stored twice once in a while
    would show.

  Background:
    Given Ada has started a new conversation

  Scenario: An answer cut off by a crashed worker is written again, once, by another
    Given the assistant answers slowly
    And she has asked a question and the answer has started
    When the worker writing her answer crashes
    Then she receives one complete answer, written again from the start
    And exactly one answer to her question is stored

  Scenario: A long answer is written once, by the worker that started it
    Given the assistant takes 6 seconds to answer
    When she asks for a long story
    Then while its answer was written, her message never looked abandoned
    And she receives one complete answer, in a single attempt
    And the model was asked 1 time
    And exactly one answer to her question is stored
    And the engine's copy of what it sent her is deleted within 5 minutes

  Scenario: A crashed worker is replaced
    When a worker crashes
    Then 2 workers are working again within 15 seconds

  Scenario: Messages sent while every worker is down are answered once they are back, in order
    Given the assistant's workers are paused
    When she sends 3 messages without waiting for the answers
    And the workers come back
    Then each of her messages is answered once, in the order she sent them

  Scenario: A message that can never be answered ends in an error while others are answered
    Given the model fails every time it is asked about "quicksand"
    And Grace has started a new conversation
    When Ada sends "Tell me about quicksand"
    And Grace sends "Tell me about the sea"
    Then Grace gets her whole answer all the same
    And Ada is told her message could not be answered
    And the engine tried her message 3 times before giving up on it
    And her message is filed among those the engine could not answer, with the reason

  Scenario: A worker asked to stop finishes the answer it is writing
    Given the assistant answers slowly
    And she has asked a question and the answer has started
    When the worker writing her answer is asked to stop
    Then she receives one complete answer, in a single attempt
    And exactly one answer to her question is stored
    And no work for her message is left in the queue

  @slow
  Scenario: Twenty crashes in a row cost no answer and duplicate nothing
    Given the assistant answers slowly
    When she asks 20 questions and the worker writing each answer crashes halfway
    Then she has received 20 complete answers
    And exactly 20 answers are stored in her conversation
