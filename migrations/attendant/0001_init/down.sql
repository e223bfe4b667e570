-- attendant/0001_init (down)

DROP TRIGGER attendant_canned_responses_set_updated_at ON attendant_canned_responses;
DROP TRIGGER attendant_conversations_set_updated_at ON attendant_conversations;
DROP TRIGGER attendant_queues_set_updated_at ON attendant_queues;

DROP TABLE attendant_business_hours;
DROP TABLE attendant_csat_ratings;
DROP TABLE attendant_conversation_tags;
DROP TABLE attendant_canned_responses;
DROP TABLE attendant_transfers;
DROP TABLE attendant_messages;
DROP TABLE attendant_conversations;
DROP TABLE attendant_queue_agents;
DROP TABLE attendant_agents;
DROP TABLE attendant_queues;

DROP TYPE attendant_agent_status;
DROP TYPE attendant_conversation_status;
