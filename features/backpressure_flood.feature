@backpressure @slow @scripted_model
Feature: A flood of messages loses and duplicates nothing
  However many messages arrive while the model is stuck, each one either gets exactly one
  answer once the model is back, or is turned away and leaves no trace.

  Scenario: Every accepted message of a flood is answered once, every refused one leaves nothing
    Given the model has stalled
    When 200 people send 50 messages each as fast as they can
    And the model recovers
    Then every accepted message is answered exactly once
    And every turned-away message left nothing behind
