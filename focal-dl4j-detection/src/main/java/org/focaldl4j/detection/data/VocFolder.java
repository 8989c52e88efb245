package org.focaldl4j.detection.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.focaldl4j.detection.data.CocoDataset.Annotation;
import org.focaldl4j.detection.data.CocoDataset.Category;
import org.focaldl4j.detection.data.CocoDataset.Image;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * Reads {@link LabelledImages#readVoc}. VOC's {@code bndbox} holds 1-based, inclusive pixel indices: an object on
 * pixels xmin…xmax covers the continuous interval [xmin − 1, xmax], the box this reader gives (detectron2's
 * reading). Image i of the list gets COCO id i + 1; annotations are numbered 1, 2, … in reading order; categories
 * are the object names, sorted, with ids 1…K. {@code difficult} (0 or 1; absent means 0) is read and validated,
 * and difficult objects are kept as ordinary objects, in training as detectron2 does and in the COCO evaluation.
 * Documents with a DOCTYPE are refused (no external entities are ever fetched), and so are elements nested deeper
 * than 64 and text fields that hold elements.
 */
final class VocFolder {

    private VocFolder() {
    }

    static LabelledImages read(Path root, String imageSet) throws IOException {
        if (root == null || imageSet == null || imageSet.isEmpty()) {
            throw new IllegalArgumentException("readVoc needs a VOC folder and an image set name; got " + root + " and "
                    + imageSet);
        }
        Path list = CocoFolder.inside(root.resolve("ImageSets").resolve("Main"), imageSet + ".txt",
                "image set \"" + imageSet + "\"");
        if (!Files.isRegularFile(list)) {
            throw new IOException(list + ": no such image-set list");
        }
        List<String> ids = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(list + ": not UTF-8 text", e);
        }
        for (int l = 0; l < lines.size(); l++) {
            String id = lines.get(l).strip();
            if (id.isEmpty()) {
                continue;
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException(list + " line " + (l + 1) + ": image \"" + id + "\" is listed twice");
            }
            ids.add(id);
        }
        DocumentBuilder parser = parser();
        List<Image> images = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<String[]> objects = new ArrayList<>();        // {image index, name, file (object o)}, reading order
        List<double[]> boxes = new ArrayList<>();
        TreeMap<String, Long> categoryIds = new TreeMap<>();
        for (int i = 0; i < ids.size(); i++) {
            Path xml = CocoFolder.inside(root.resolve("Annotations"), ids.get(i) + ".xml", list + " (image \""
                    + ids.get(i) + "\")");
            Element doc = document(parser, xml).getDocumentElement();
            String where = xml.toString();
            files.add(CocoFolder.inside(root.resolve("JPEGImages"), text(doc, "filename", where), where));
            Element size = child(doc, "size", where);
            images.add(new Image(i + 1, positiveInt(size, "width", where), positiveInt(size, "height", where)));
            NodeList found = doc.getElementsByTagName("object");
            for (int o = 0; o < found.getLength(); o++) {
                Element object = (Element) found.item(o);
                String what = where + " (object " + (o + 1) + ")";
                String name = text(object, "name", what);
                Element box = child(object, "bndbox", what);
                double xmin = number(box, "xmin", what);
                double ymin = number(box, "ymin", what);
                double xmax = number(box, "xmax", what);
                double ymax = number(box, "ymax", what);
                String difficult = optionalText(object, "difficult", what);
                if (difficult != null && !difficult.equals("0") && !difficult.equals("1")) {
                    throw new IllegalArgumentException(what + ": <difficult> must be 0 or 1; got \"" + difficult + "\"");
                }
                categoryIds.putIfAbsent(name, 0L);
                objects.add(new String[] {String.valueOf(i), name, what});
                boxes.add(new double[] {xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1});
            }
        }
        List<Category> categories = new ArrayList<>();
        for (String name : categoryIds.keySet()) {
            categoryIds.put(name, categories.size() + 1L);
            categories.add(new Category(categories.size() + 1L, name));
        }
        List<Annotation> annotations = new ArrayList<>();
        for (int a = 0; a < objects.size(); a++) {
            String[] o = objects.get(a);
            int image = Integer.parseInt(o[0]);
            if (!(boxes.get(a)[2] > 0) || !(boxes.get(a)[3] > 0)) {
                throw new IllegalArgumentException(o[2] + ": needs xmin <= xmax and ymin <= ymax; got [xmin − 1, ymin − 1, "
                        + "w, h] = " + java.util.Arrays.toString(boxes.get(a)));
            }
            annotations.add(Annotation.box(a + 1, image + 1, categoryIds.get(o[1]), boxes.get(a)));
        }
        return new LabelledImages(new CocoDataset(images, annotations, categories), files,
                root.resolve("Annotations").toString(), id -> objects.get((int) id - 1)[2],
                LabelledImages.EmptyBoxes.REFUSE);
    }

    private static DocumentBuilder parser() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            // VOC files nest 3 deep; a deeper file would overflow the stack of the DOM's recursive walks.
            f.setAttribute("http://www.oracle.com/xml/jaxp/properties/maxElementDepth", "64");
            DocumentBuilder parser = f.newDocumentBuilder();
            parser.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;                             // reported once, in the refusal, not also on stderr
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            return parser;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser cannot be configured safely", e);
        }
    }

    private static Document document(DocumentBuilder parser, Path xml) throws IOException {
        if (!Files.isRegularFile(xml)) {
            throw new IOException(xml + ": no such annotation file");
        }
        try {
            return parser.parse(xml.toFile());
        } catch (SAXException e) {
            throw new IOException(xml + ": not a well-formed XML document without DOCTYPE (" + e.getMessage() + ")", e);
        }
    }

    /** The only direct child element {@code tag} of {@code e}. */
    private static Element child(Element e, String tag, String where) {
        Element found = null;
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(tag)) {
                if (found != null) {
                    throw new IllegalArgumentException(where + ": <" + tag + "> appears twice in <" + e.getTagName()
                            + ">");
                }
                found = c;
            }
        }
        if (found == null) {
            throw new IllegalArgumentException(where + ": <" + e.getTagName() + "> needs a <" + tag + ">");
        }
        return found;
    }

    private static String text(Element e, String tag, String where) {
        Element c = child(e, tag, where);
        for (Node n = c.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element) {
                throw new IllegalArgumentException(where + ": <" + tag + "> must hold text only; it holds <"
                        + ((Element) n).getTagName() + ">");
            }
        }
        String t = c.getTextContent().strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException(where + ": <" + tag + "> is empty");
        }
        return t;
    }

    private static String optionalText(Element e, String tag, String where) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(tag)) {
                return text(e, tag, where);
            }
        }
        return null;
    }

    private static double number(Element e, String tag, String where) {
        String t = text(e, tag, where);
        try {
            double v = Double.parseDouble(t);
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new IllegalArgumentException(where + ": <" + tag + "> must be a finite number; got \"" + t + "\"");
    }

    private static int positiveInt(Element e, String tag, String where) {
        String t = text(e, tag, where);
        try {
            int v = Integer.parseInt(t);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new IllegalArgumentException(where + ": <" + tag + "> must be a positive integer; got \"" + t + "\"");
    }
}
