package dev.llmqueue.camel.queue;

import java.util.ArrayList;
import java.util.List;

/**
 * An intrusive doubly linked stack of tasks: push and pop at the head, and removal of any task (deadline, cancel,
 * drop-oldest) in O(1), without allocating per request. Guarded by the scheduler's lock.
 */
final class TaskStack {

    private QueuedTask head;
    private QueuedTask tail;
    private int size;

    void push(QueuedTask task) {
        task.stack = this;
        task.prev = null;
        task.next = head;
        if (head != null) {
            head.prev = task;
        } else {
            tail = task;
        }
        head = task;
        size++;
    }

    void remove(QueuedTask task) {
        if (task.prev != null) {
            task.prev.next = task.next;
        } else {
            head = task.next;
        }
        if (task.next != null) {
            task.next.prev = task.prev;
        } else {
            tail = task.prev;
        }
        task.prev = null;
        task.next = null;
        task.stack = null;
        size--;
    }

    QueuedTask head() {
        return head;
    }

    /** The oldest waiting task. */
    QueuedTask tail() {
        return tail;
    }

    int size() {
        return size;
    }

    /** The tasks, newest first. */
    List<QueuedTask> snapshot() {
        List<QueuedTask> tasks = new ArrayList<>(size);
        for (QueuedTask t = head; t != null; t = t.next) {
            tasks.add(t);
        }
        return tasks;
    }
}
