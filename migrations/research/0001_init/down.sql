-- research/0001_init (down)

DROP TRIGGER research_notes_set_updated_at ON research_notes;
DROP TRIGGER research_projects_set_updated_at ON research_projects;

DROP TABLE research_queries;
DROP TABLE research_source_tags;
DROP TABLE research_tags;
DROP TABLE research_citations;
DROP TABLE research_notes;
DROP TABLE research_sources;
DROP TABLE research_collaborators;
DROP TABLE research_projects;
