-- core/0001_init (down)
-- Seed rows disappear with their tables.

DROP TRIGGER kb_documents_set_updated_at ON kb_documents;
DROP TRIGGER system_automations_set_updated_at ON system_automations;
DROP TRIGGER bots_set_updated_at ON bots;
DROP TRIGGER rbac_roles_set_updated_at ON rbac_roles;
DROP TRIGGER organizations_set_updated_at ON organizations;
DROP TRIGGER users_set_updated_at ON users;

DROP TABLE system_settings;
DROP TABLE feature_flags;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE notifications;
DROP TABLE audit_events;
DROP TABLE kb_chunks;
DROP TABLE kb_documents;
DROP TABLE bot_knowledge_collections;
DROP TABLE kb_collections;
DROP TABLE system_automations;
DROP TABLE bot_memories;
DROP TABLE bot_messages;
DROP TABLE bot_conversations;
DROP TABLE bot_channels;
DROP TABLE bots;
DROP TABLE rbac_user_roles;
DROP TABLE rbac_role_permissions;
DROP TABLE rbac_permissions;
DROP TABLE rbac_roles;
DROP TABLE user_preferences;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE organization_invitations;
DROP TABLE organization_members;
DROP TABLE organizations;
DROP TABLE users;

DROP TYPE core_bot_status;
DROP TYPE core_org_member_role;

DROP FUNCTION core_set_updated_at();
