package dev.llmqueue.camel.queue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An intrusive binary min-heap of tasks ordered by one of their {@link System#nanoTime()} instants (deadline or retry
 * time): add, remove-any and peek-earliest without allocating per task. Each task keeps its own index in the heap, so
 * a task leaving early (dispatched, cancelled) costs O(log n), never a scan. Guarded by the scheduler's lock.
 * <p>
 * Instants are compared by their difference, as {@code nanoTime} values must be: the scheduler keeps every instant
 * within a century of now, so no difference overflows.
 */
final class TaskHeap {

    /** Which instant of a task orders this heap, and which index field of the task it uses. */
    enum Key {
        DEADLINE,
        RETRY
    }

    private final Key key;
    private QueuedTask[] tasks = new QueuedTask[16];
    private int size;

    TaskHeap(Key key) {
        this.key = key;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** The task with the earliest instant, or null. */
    QueuedTask peek() {
        return size == 0 ? null : tasks[0];
    }

    long instant(QueuedTask task) {
        return key == Key.DEADLINE ? task.deadlineAt : task.retryAt;
    }

    /** The task with that id, or null. */
    QueuedTask find(String id) {
        for (int i = 0; i < size; i++) {
            if (tasks[i].id().equals(id)) {
                return tasks[i];
            }
        }
        return null;
    }

    /** The tasks, in no particular order. */
    List<QueuedTask> snapshot() {
        return new ArrayList<>(Arrays.asList(tasks).subList(0, size));
    }

    void add(QueuedTask task) {
        if (size == tasks.length) {
            tasks = Arrays.copyOf(tasks, size * 2);
        }
        siftUp(size++, task);
    }

    /** Removes the task if it is in this heap. */
    void remove(QueuedTask task) {
        int i = index(task);
        if (i < 0) {
            return;
        }
        setIndex(task, -1);
        QueuedTask last = tasks[--size];
        tasks[size] = null;
        if (i == size) {
            return;
        }
        siftDown(i, last);
        if (tasks[i] == last) {
            siftUp(i, last);
        }
    }

    private void siftUp(int i, QueuedTask task) {
        long at = instant(task);
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            QueuedTask p = tasks[parent];
            if (at - instant(p) >= 0) {
                break;
            }
            place(i, p);
            i = parent;
        }
        place(i, task);
    }

    private void siftDown(int i, QueuedTask task) {
        long at = instant(task);
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && instant(tasks[right]) - instant(tasks[child]) < 0) {
                child = right;
            }
            if (at - instant(tasks[child]) <= 0) {
                break;
            }
            place(i, tasks[child]);
            i = child;
        }
        place(i, task);
    }

    private void place(int i, QueuedTask task) {
        tasks[i] = task;
        setIndex(task, i);
    }

    private int index(QueuedTask task) {
        return key == Key.DEADLINE ? task.deadlineIndex : task.retryIndex;
    }

    private void setIndex(QueuedTask task, int i) {
        if (key == Key.DEADLINE) {
            task.deadlineIndex = i;
        } else {
            task.retryIndex = i;
        }
    }
}
