package dev.llmqueue.camel;

import java.util.List;

/** An outputClass for the structured-output tests. */
public class City {

    public String name;
    public int population;
    public List<String> landmarks;
    public Location location;

    public static class Location {
        public double latitude;
        public double longitude;
    }
}
