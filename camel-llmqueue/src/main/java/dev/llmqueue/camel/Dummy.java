package dev.llmqueue.camel;
class Dummy {}
