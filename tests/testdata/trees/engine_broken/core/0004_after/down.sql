DROP TABLE after_bad;
