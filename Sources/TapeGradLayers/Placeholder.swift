public enum _L {}
