@recovery @operates_workers @scripted_model
Feature: Answers survive workers that crash, stop or cannot cope
  The workers that write the assistant's answers can die in the middle of one. People
  still get exactly one complete answer, nothing is stored twice, and a message that can
  never be answered ends in a clear error rather than silence.

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
    Then she receives one complete answer, in a single attempt
    And exactly one answer to her question is stored

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
    And her message was set aside after 3 attempts

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
