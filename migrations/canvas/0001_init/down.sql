-- canvas/0001_init (down)

DROP TRIGGER canvas_elements_set_updated_at ON canvas_elements;
DROP TRIGGER canvases_set_updated_at ON canvases;

DROP TABLE canvas_collaborators;
DROP TABLE canvas_versions;
DROP TABLE canvas_elements;
DROP TABLE canvases;
