@load @capacity @scripted_model
Feature: The engine carries a hundred people and more
  The testing plan asks to know the engine's capacity: 100 people chatting at once without
  errors, 95 % of messages answered within 5 s, under 1 % failing, and the queue below 1000.
  Each scenario prints its figures and attaches a table, a plot and the raw figures (CSV).

  The model answers at a realistic pace: the first piece after 300 ms, then 20 pieces 30 ms
  apart, 0.9 s of its own time a reply.

  Closed-loop scenarios are people who wait for each answer before they write again, so a
  slow engine also slows them down. Open-loop steps send messages on a schedule, at a
  constant rate, whether or not earlier replies have come, so a slow engine cannot hide its
  own latency.

  Background:
    Given the model answers at a realistic pace

  Scenario: 100 people chat at once, several turns each (closed-loop)
    When 100 people chat at once, 5 turns each, pausing 1 to 3 s between turns
    Then every acknowledged message was answered exactly once, stored once, and none was lost
    And these figures stay under the testing plan's targets:
      | figure                      | under |
      | reply time p95              | 5 s   |
      | time to the first piece p95 | 1 s   |
      | messages failed             | 1 %   |
      | queue depth                 | 1000  |

  Scenario: A burst from nobody to 300 people within 5 seconds (closed-loop)
    When 300 people arrive within 5 s and each has 2 exchanges
    Then everyone got in, and no connection was refused or dropped
    And every acknowledged message was answered exactly once, stored once, and none was lost

  @slow
  Scenario: The safe operating range holds the plan's 100 people chatting at a human pace
    The sweep runs one person alone (closed-loop), then 200 people without pauses for the
    throughput (closed-loop), then four constant arrival rates between the two, and the
    plan's human pace of 10 messages a second (open-loop, from 100 people). The safe range
    runs up to the highest rate at which reply time p95 is under 5 s with under 1 % of
    messages failing, at that rate and every lower one.

    When the engine is swept from one person alone to as many as it takes
    Then the safe range holds at least 100 people each sending a message every 10 s
