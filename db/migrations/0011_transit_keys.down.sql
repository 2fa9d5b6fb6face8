DROP TABLE transit_keys;
